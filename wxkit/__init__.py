"""wxkit."""
