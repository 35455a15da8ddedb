"""Every modal dialog of the console, on one base (`base.DeskModal`, `base.ServiceDialog`)."""
