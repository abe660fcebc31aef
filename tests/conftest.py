pytest_plugins = ["tests.train_fixtures"]
