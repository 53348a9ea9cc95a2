"""Qt item models shared by the pages (model/view, never a widget per row)."""
