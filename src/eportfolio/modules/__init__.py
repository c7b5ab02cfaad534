"""Workshop modules, lessons and assignment templates: authoring, translations, versions, publishing."""
