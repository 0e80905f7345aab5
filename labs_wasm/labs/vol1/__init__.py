"""Volume I labs."""
