# Tries: a relative path that climbs out of the working folder.
# expect: path-literal
name = "../../home/user/.bashrc"
