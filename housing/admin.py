# The admin of this app arrives with its issue.
