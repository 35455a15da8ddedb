"""The knowledge screen's panels: the search bar, the results, the index state line, the preview
and the full view of one solution, and the editor's list of statements. Each owns its state and
reports upward with typed messages; the screen (deskterm.screens.knowledge) coordinates."""
