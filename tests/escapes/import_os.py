# Tries: run a shell command through os.system.
# expect: import
import os
os.system("id > /tmp/pwned")
