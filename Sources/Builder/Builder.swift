// Builder: filled in by its issue (see README.md).
