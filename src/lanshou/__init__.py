"""lanshou (揽收): courier-pickup deadlines, violations, appeals and losses for e-commerce shops."""

__version__ = "0.1.0"
