"""Reference data shipped with the observatory (task taxonomy CSVs), read with importlib.resources."""
