"""Agents' SSH public keys: `deskterm serve` lets the holder of a registered key in as its agent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class AgentKey(SQLModel, table=True):
    __tablename__ = "agent_key"
    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    # "SHA256:…" of the key blob, as `ssh-keygen -l` prints it; a key belongs to one agent only.
    fingerprint: str = Field(max_length=100, unique=True)
    public_key: str = Field(sa_column=Column(Text, nullable=False))  # "type base64" (no comment)
    comment: str = Field(default="", max_length=200)
    added_at: datetime = Field(sa_type=UtcDateTime)
    added_by_id: int | None = Field(default=None, foreign_key="agent.id")
