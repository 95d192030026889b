package org.sessiongrid.bench.contender;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import com.hazelcast.core.HazelcastInstance;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.ha.session.BackupManager;
import org.apache.catalina.ha.session.DeltaManager;
import org.apache.catalina.ha.tcp.ReplicationValve;
import org.apache.catalina.ha.tcp.SimpleTcpCluster;
import org.apache.catalina.loader.WebappLoader;
import org.apache.catalina.session.StandardManager;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.tribes.group.GroupChannel;
import org.apache.catalina.tribes.membership.StaticMember;
import org.apache.catalina.tribes.membership.StaticMembershipService;
import org.apache.catalina.tribes.transport.nio.NioReceiver;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.redisson.tomcat.RedissonSessionManager;
import org.sessiongrid.it.node.CounterServlet;
import org.sessiongrid.testsupport.node.TomcatNodes;
import org.sessiongrid.tomcat.SessionGridManager;

/**
 * One Tomcat 11 contender node on loopback: HTTP on {@code bench.address:bench.httpPort}, jvmRoute
 * {@code fault.node} (the name the load client routes by), the fault matrix's {@link CounterServlet} at
 * {@code /app}, and {@code /bench/status} for the benchmark to wait on the cluster. {@code bench.manager}
 * picks the session manager:
 * <ul>
 * <li>{@code sessiongrid}: {@link SessionGridManager}, its settings from {@code sessiongrid.*} properties;</li>
 * <li>{@code standard}: Tomcat's {@link StandardManager} (no replication);</li>
 * <li>{@code delta} / {@code backup}: a {@link SimpleTcpCluster} with {@link DeltaManager} / {@link BackupManager}
 * as its template, static membership over {@code bench.members} (the addresses of all nodes) on
 * {@code bench.tribesPort}, the ReplicationValve, everything else Tomcat's defaults (async sends,
 * TcpFailureDetector and MessageDispatchInterceptor added by the cluster);</li>
 * <li>{@code redisson}: {@link RedissonSessionManager} with the YAML config at {@code bench.redissonConfig},
 * its defaults otherwise (readMode REDIS, updateMode DEFAULT);</li>
 * <li>{@code hazelcast}: Tomcat's StandardManager under Hazelcast's session filter (hazelcast-wm, converted to
 * jakarta: on the node's class path only, so named here by class name), as its documentation sets it up: the
 * {@code WebFilter} on every path with {@code sticky-session=bench.hazelcast.sticky} and the instance of an
 * embedded {@link HazelcastMember} on {@code bench.hazelcastPort}, and its {@code SessionListener}.</li>
 * </ul>
 */
public final class BenchTomcatNode {

    private BenchTomcatNode() {
    }

    public static void main(String[] args) throws Exception {
        String name = System.getProperty("fault.node");
        String address = System.getProperty("bench.address");
        String manager = System.getProperty("bench.manager");
        File work = new File(System.getProperty("bench.work"), name + "-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(work.getAbsolutePath());
        Connector connector = new Connector();
        connector.setPort(Integer.getInteger("bench.httpPort"));
        connector.setProperty("address", address);
        tomcat.setConnector(connector);
        tomcat.getEngine().setJvmRoute(name);
        SimpleTcpCluster cluster = null;
        Supplier<String> members = null;
        if (manager.equals("delta") || manager.equals("backup")) {
            cluster = cluster(address, manager);
            tomcat.getEngine().setCluster(cluster);
            SimpleTcpCluster c = cluster;
            members = () -> "members=" + (c.getMembers().length + 1) + "\n";
        }
        HazelcastInstance hz = null;
        if (manager.equals("hazelcast")) {
            hz = HazelcastMember.start(name, address, List.of(System.getProperty("bench.members").split(",")),
                    Integer.getInteger("bench.hazelcastPort"), System.getProperty("bench.cluster"));
            HazelcastInstance h = hz;
            // Ready when all members are in and every partition's backups are in place.
            members = () -> "members=" + h.getCluster().getMembers().size() + "\nclusterSafe="
                    + h.getPartitionService().isClusterSafe() + "\n";
        }
        File docBase = new File(work, "app");
        docBase.mkdirs();
        Context ctx = tomcat.addContext("/app", docBase.getAbsolutePath());
        ctx.setSessionTimeout(30);
        switch (manager) {
            case "sessiongrid" -> ctx.setManager(new SessionGridManager());
            case "standard" -> {
                StandardManager m = new StandardManager();
                m.setPathname(null); // no persistence across restarts: the in-memory upper bound
                ctx.setManager(m);
            }
            case "delta", "backup" -> ctx.setDistributable(true); // the cluster creates the manager
            case "redisson" -> {
                // Redisson re-creates its codec with the webapp's class loader: give the context one.
                ctx.setLoader(new WebappLoader());
                RedissonSessionManager m = new RedissonSessionManager();
                m.setConfigPath(System.getProperty("bench.redissonConfig"));
                ctx.setManager(m);
            }
            case "hazelcast" -> {
                StandardManager m = new StandardManager();
                m.setPathname(null);
                ctx.setManager(m);
                hazelcastFilter(ctx, hz.getName());
            }
            default -> throw new IllegalArgumentException("unknown bench.manager " + manager);
        }
        Tomcat.addServlet(ctx, "counter", new CounterServlet()).setAsyncSupported(true);
        ctx.addServletMappingDecoded("/*", "counter");

        File statusBase = new File(work, "bench");
        statusBase.mkdirs();
        Context status = tomcat.addContext("/bench", statusBase.getAbsolutePath());
        Tomcat.addServlet(status, "status", new StatusServlet(members));
        status.addServletMappingDecoded("/*", "status");

        TomcatNodes.serve(name, tomcat, ctx);
    }

    /**
     * Hazelcast's session filter in front of the counter servlet and its listener, which ends the Hazelcast
     * session when the container's expires. The filter keeps its own cookie ({@code hazelcast.sessionId}) beside
     * the container's session and needs both back; with {@code shutdown-on-destroy} (its default) it stops the
     * member when the context stops.
     */
    private static void hazelcastFilter(Context ctx, String instanceName) {
        FilterDef def = new FilterDef();
        def.setFilterName("hazelcast-session");
        def.setFilterClass("com.hazelcast.web.WebFilter");
        def.addInitParameter("instance-name", instanceName);
        def.addInitParameter("sticky-session", System.getProperty("bench.hazelcast.sticky"));
        def.setAsyncSupported("true");
        ctx.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("hazelcast-session");
        map.addURLPatternDecoded("/*");
        ctx.addFilterMap(map);
        ctx.addApplicationListener("com.hazelcast.web.SessionListener");
    }

    /** Tomcat's cluster with static membership on loopback: every other node of {@code bench.members}. */
    private static SimpleTcpCluster cluster(String self, String manager) throws IOException {
        int port = Integer.getInteger("bench.tribesPort");
        List<String> all = List.of(System.getProperty("bench.members").split(","));
        StaticMembershipService membership = new StaticMembershipService();
        for (int i = 0; i < all.size(); i++) {
            StaticMember m = new StaticMember(all.get(i), port, 0);
            m.setUniqueId(uniqueId(i));
            if (all.get(i).equals(self)) {
                membership.setLocalMember(m);
            } else {
                membership.addStaticMember(m);
            }
        }
        GroupChannel channel = new GroupChannel();
        channel.setMembershipService(membership);
        NioReceiver receiver = (NioReceiver) channel.getChannelReceiver();
        receiver.setAddress(self);
        receiver.setPort(port);
        receiver.setAutoBind(0);
        SimpleTcpCluster cluster = new SimpleTcpCluster();
        cluster.setChannel(channel);
        // The ReplicationValve only, as the issue sets Tomcat up. Without a valve the cluster would also add its
        // JvmRouteBinderValve, which gives a session a new id whenever a request reaches another node than the
        // id's route names: the checker would count every such move as a lost session.
        cluster.addValve(new ReplicationValve());
        cluster.setManagerTemplate(manager.equals("delta") ? new DeltaManager() : new BackupManager());
        return cluster;
    }

    /** A 16-byte id for member i, in the {@code {b0,b1,...}} form StaticMember parses. */
    private static String uniqueId(int i) {
        StringBuilder sb = new StringBuilder("{");
        for (int b = 0; b < 16; b++) {
            sb.append(b == 15 ? i + 1 : 0).append(b == 15 ? "}" : ",");
        }
        return sb.toString();
    }

    /**
     * The cluster's {@code key=value} lines ({@code members=N}, the nodes this one sees, itself included; for
     * Hazelcast also {@code clusterSafe}) and, with SessionGrid, every attribute of its member MBean: what the
     * benchmark waits on and reads for the rebalance.
     */
    static final class StatusServlet extends HttpServlet {

        private static final long serialVersionUID = 1L;
        private final transient Supplier<String> cluster;

        StatusServlet(Supplier<String> cluster) {
            this.cluster = cluster;
        }

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            StringBuilder out = new StringBuilder("node=").append(System.getProperty("fault.node")).append('\n');
            if (cluster != null) {
                out.append(cluster.get());
            }
            try {
                MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
                Set<ObjectName> names = mbs.queryNames(new ObjectName("org.sessiongrid:type=SessionGrid,*"), null);
                for (ObjectName n : names) {
                    for (var a : mbs.getMBeanInfo(n).getAttributes()) {
                        Object v = mbs.getAttribute(n, a.getName());
                        if (v instanceof Object[] arr) {
                            v = String.join(",", java.util.Arrays.stream(arr).map(String::valueOf).toList());
                        }
                        out.append(a.getName()).append('=').append(v).append('\n');
                    }
                }
            } catch (Exception e) {
                out.append("error=").append(e).append('\n');
            }
            resp.getWriter().print(out);
        }
    }
}
