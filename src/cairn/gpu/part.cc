// Placeholder so the part's object library is never empty.
