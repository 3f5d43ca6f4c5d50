"""The files the package ships and the one way they are read.

resources.py   where the shipped specs are (`conformance.specs`, through `importlib.resources`)
               and the docs they were generated from
yaml_files.py  the one way the YAML data files (catalogue, scenarios, overlay, corpus) are read
"""
