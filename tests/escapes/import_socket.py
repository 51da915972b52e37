# Tries: open a network connection to send data out.
# expect: import
import socket
s = socket.create_connection(("example.com", 80))
