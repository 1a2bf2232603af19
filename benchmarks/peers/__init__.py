"""The peers the speed benchmark runs against keras-ar: the same models written the way
their public code writes them (torch per-pixel loop, torch cumsum, torch.nn.GRU, and
the older TF eager loop)."""
