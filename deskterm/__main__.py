"""`python -m deskterm`: the same as the `deskterm` command."""

from .launcher import main

main()
