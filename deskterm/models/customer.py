"""Callers, their organisations, phones and devices."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    customer_class: str = Field(default="standard", max_length=20)  # key | standard
    created_at: datetime = Field(sa_type=UtcDateTime)


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    email: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_type=UtcDateTime)


class CustomerPhone(SQLModel, table=True):
    """A phone as the caller gave it, and its digits for lookup (national form, no prefix)."""

    __tablename__ = "customer_phone"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    number: str = Field(max_length=60)
    digits: str = Field(max_length=30, index=True)


class Device(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    serial: str = Field(max_length=60, unique=True)
    model: str = Field(max_length=120)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    warranty_end: date | None = None
    created_at: datetime = Field(sa_type=UtcDateTime)
