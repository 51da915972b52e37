# Tries: the os module that random keeps under a private name.
# expect: private-attribute
import random
random._os.system("id")
