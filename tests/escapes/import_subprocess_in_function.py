# Tries: hide the import of subprocess inside a section function.
# expect: import
def geometry():
    import subprocess
    subprocess.run(["sh", "-c", "echo pwned"])
