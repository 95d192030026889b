# Sample $CATALINA_BASE/bin/setenv.sh for SessionGrid: this node's address for the grid (the tcp
# stack binds here and tells the others to connect here).
CATALINA_OPTS="$CATALINA_OPTS -Djava.net.preferIPv4Stack=true -Dsessiongrid.bindAddress=10.0.0.1 -Dsessiongrid.bindPort=7800"
