# Tries: the __import__ builtin instead of an import statement.
# expect: dunder
__import__("os").system("id")
