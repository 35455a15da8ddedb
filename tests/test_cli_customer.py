"""`deskterm customer search`: the console's phone matching (beginning or ending, any digits),
names and organisations, as a table or JSON, for an agent allowed to read."""

from __future__ import annotations

import json

from deskterm.db import Database
from tests.factories import make_agent
from tests.services.test_customers import seed
from tests.test_cli_rights import cli


def test_search_prints_a_table_or_json(db: Database) -> None:
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    seed(db)
    table = cli(db, "customer", "search", "5678", "--as", "olga")  # the last four digits
    assert table.exit_code == 0, table.output
    assert table.output.split("\n")[1].split() == [
        "┃",
        "name",
        "┃",
        "organisation",
        "┃",
        "phone",
        "┃",
        "class",
        "┃",
    ]
    assert (
        "张三" in table.output
        and "上海明远科技有限公司" in table.output
        and "+86 138 1234 5678" in table.output
    )
    assert "李四" not in table.output
    found = cli(db, "customer", "search", "华信", "--format", "json", "--as", "olga")
    assert found.exit_code == 0, found.output
    rows = json.loads(found.output)["customers"]
    assert [(r["name"], r["organisation"], r["customer_class"]) for r in rows] == [
        ("李四", "北京华信", "standard"),
        ("王五", "北京华信", "standard"),
    ]
    assert rows[0]["phone"] == "(010) 8765-4321 ext. 12" and rows[0]["digits"] == "01087654321"
    wide = cli(db, "customer", "search", "４３２１", "--format", "json", "--as", "olga")  # full-width
    assert [r["name"] for r in json.loads(wide.output)["customers"]] == ["李四"]
    markup = cli(db, "customer", "search", "bob [B", "--as", "olga")  # printed literally
    assert "Bob [b]Smith" in markup.output and "Acme [red]Ltd" in markup.output
    one = cli(db, "customer", "search", "华信", "--limit", "1", "--format", "json", "--as", "olga")
    assert len(json.loads(one.output)["customers"]) == 1
    nothing = cli(db, "customer", "search", "nobody", "--format", "json", "--as", "olga")
    assert json.loads(nothing.output) == {"customers": []}
    blank = cli(db, "customer", "search", " ", "--as", "olga")
    assert blank.exit_code == 2 and "text:" in blank.output
