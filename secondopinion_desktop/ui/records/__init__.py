"""The Records tab: inventory table, detail pane, dialogs and undoable commands."""
