"""`deskterm serve`: the desk server. Agents reach the console over SSH (asyncssh) or in a browser tab
(textual-serve); each session is one console process on the server, which alone holds the database
URL. The package is not imported by the console or the services."""
