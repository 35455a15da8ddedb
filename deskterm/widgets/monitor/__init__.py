"""The supervisor monitor's blocks, each a panel that owns what it shows: the summary line
(`summary`), backlog and SLA by team (`teams`), today's KPIs (`kpis`), arrivals per hour
(`arrivals`) and the agents with their states (`agents`). The tables share one keyed, in-place
update (`live`); Enter on a figure posts `live.FigureChosen` to the screen, which lists the tickets
behind it. The screen (screens/monitor.py) reads the figures and hands every panel the same view."""
