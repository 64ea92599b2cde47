"""The engine: expression language, rule loading and type checking, forward
chaining, findings and grading. It imports neither the CLI nor the renderers."""
