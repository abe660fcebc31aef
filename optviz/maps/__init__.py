"""Maps of many runs (the numbers behind `optviz.atlas`): basins of attraction of start
points, hyperparameter maps, and the trainability fractal, each a `lax.scan` that keeps
O(pixels) memory, sharded over every JAX device (`optviz.maps.shard`)."""
