# SessionGrid: distributed in-memory HTTP sessions for Jetty 12 (ee8..ee11).

[description]
Keeps HTTP sessions in the memory of the farm itself: every session on a primary and two backups
(SessionGrid over JGroups). Set at least sessiongrid.clusterName; see the ini template for every setting.
Its jars come with the SessionGrid distribution: copy its jetty/ directory over $JETTY_BASE (they go to
lib/sessiongrid/) before --add-modules, which otherwise stops with "Unable to create ...jar".

[tags]
session

[provides]
session-store

[depend]
sessions

[after]
session-cache-hash
session-cache-null

[files]
## Not downloaded: the SessionGrid distribution lays these out under $JETTY_BASE/lib/sessiongrid/
## (jetty/lib/sessiongrid/ in the archive), and start.jar checks that they are there.
lib/sessiongrid/
lib/sessiongrid/sessiongrid-jetty-${sessiongrid.version}.jar
lib/sessiongrid/sessiongrid-core-${sessiongrid.version}.jar
lib/sessiongrid/sessiongrid-jgroups-config-${sessiongrid.version}.jar
lib/sessiongrid/jgroups-${sessiongrid.jgroups.version}.jar

[lib]
lib/sessiongrid/sessiongrid-jetty-${sessiongrid.version}.jar
lib/sessiongrid/sessiongrid-core-${sessiongrid.version}.jar
lib/sessiongrid/sessiongrid-jgroups-config-${sessiongrid.version}.jar
lib/sessiongrid/jgroups-${sessiongrid.jgroups.version}.jar

[xml]
etc/sessions/sessiongrid/session-store.xml

[ini]
## The versions of the jars in lib/sessiongrid/ (the distribution's; JettyHomeModuleTest checks them).
sessiongrid.version?=0.1.0-SNAPSHOT
sessiongrid.jgroups.version?=5.5.7.Final
## Webapps must not see (or load their own copy of) SessionGrid and JGroups.
jetty.webapp.addHiddenClasses+=,${jetty.base.uri}/lib/sessiongrid/

[ini-template]
## SessionGrid settings: the same names as the Tomcat manager's attributes.
## Required: the name shared by every node of the farm.
#sessiongrid.clusterName=shop
## JGroups stack: udp (multicast), tcp, kubernetes, tls, or a file/URL.
#sessiongrid.stack=udp
## For the tcp stack: this node's address and port, and every node's address[port].
#sessiongrid.bindAddress=
#sessiongrid.bindPort=7800
#sessiongrid.portRange=0
#sessiongrid.initialHosts=10.0.0.1[7800],10.0.0.2[7800]
## Cluster secret (required unless every member listens on loopback): a file holding it (one secret
## per line, the first seals, every one opens; e.g. the output of: openssl rand -base64 32), or the
## secret itself. security=none runs without one on any address (labs only).
#sessiongrid.clusterSecretFile=/etc/sessiongrid/secret
#sessiongrid.clusterSecret=
#sessiongrid.security=protected
## Member name; also Jetty's worker name unless jetty.sessionIdManager.workerName is set. Default host-pid.
#sessiongrid.nodeName=
## Other settings (defaults in the SessionGrid documentation):
#sessiongrid.site=
#sessiongrid.rack=
#sessiongrid.machine=
#sessiongrid.numOwners=
#sessiongrid.numSegments=
#sessiongrid.replicationMode=
#sessiongrid.remoteTimeout=
#sessiongrid.backupTimeout=
#sessiongrid.failureDetectionTimeout=
#sessiongrid.tombstoneTimeout=
#sessiongrid.joinTimeout=
#sessiongrid.leaveTimeout=
#sessiongrid.maxRecordBytes=
#sessiongrid.stateTransferChunkSize=
#sessiongrid.maxHandlerThreads=
#sessiongrid.partitionPolicy=
#sessiongrid.deserializationFilter=
#sessiongrid.accessTimeGranularity=
#sessiongrid.lockingMode=
#sessiongrid.lockTimeout=

## Jetty's store settings.
#jetty.session.gracePeriod.seconds=3600
#jetty.session.savePeriod.seconds=0
## Jetty's cache settings for the SessionGrid cache (used unless a session-cache module is enabled).
#jetty.session.evictionPolicy=-1
#jetty.session.flushOnResponseCommit=true
