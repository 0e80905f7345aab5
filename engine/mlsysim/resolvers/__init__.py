"""Built-in resolvers, one module per domain. Each name in ``__all__`` is a resolver class."""
__all__: list[str] = []
