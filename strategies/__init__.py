"""Strategy plugins shipped with the project. Each module's Strategy subclasses are registered."""
