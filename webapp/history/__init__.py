"""Edit history: who changed what, when, and the way back."""
