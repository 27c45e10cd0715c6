"""The board's side: the documents of the monthly pack."""
