package org.sessiongrid.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * The grid members' figures of any JVM running SessionGrid (a Tomcat with the drop-in jar, a Jetty with
 * the module, a Boot application), read from the MXBeans core registers
 * ({@code org.sessiongrid:type=SessionGrid,cluster="...",member="..."}): through the JVM's local
 * management agent, started on demand by the JDK's attach mechanism (a process id on this host, same
 * user, nothing to configure), or through a JMX service URL the JVM already exposes.
 */
public final class JmxStatus {

    /** The MXBean names core registers, whatever the cluster and member. */
    public static final String PATTERN = "org.sessiongrid:type=SessionGrid,*";

    private JmxStatus() {
    }

    /** One member's figures: attribute name → value, in name order; maps and tables as maps. */
    public record Member(String name, Map<String, Object> figures) {
    }

    /**
     * Reads every SessionGrid member of the process with id {@code pid}.
     *
     * @throws IOException the process cannot be attached to; the message says why and what to do
     */
    public static List<Member> ofProcess(long pid) throws IOException {
        String address;
        try {
            address = Attach.localManagementAgent(pid);
        } catch (LinkageError e) {
            throw new IOException("this Java has no attach API (module jdk.attach): run bin/sessiongrid with a JDK, "
                    + "or give the node's JMX service URL (--jmx)", e);
        }
        return ofService(address);
    }

    /** Reads every SessionGrid member behind the JMX service URL {@code url}. */
    public static List<Member> ofService(String url) throws IOException {
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(url))) {
            return read(connector.getMBeanServerConnection());
        }
    }

    private static List<Member> read(MBeanServerConnection server) throws IOException {
        List<Member> members = new ArrayList<>();
        try {
            for (ObjectName name : new java.util.TreeSet<>(server.queryNames(new ObjectName(PATTERN), null))) {
                Map<String, Object> figures = new TreeMap<>();
                for (MBeanAttributeInfo a : server.getMBeanInfo(name).getAttributes()) {
                    if (a.isReadable()) {
                        figures.put(a.getName(), plain(server.getAttribute(name, a.getName())));
                    }
                }
                members.add(new Member(name.getKeyProperty("member").replace("\"", ""), figures));
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("reading the SessionGrid MXBeans failed: " + e, e);
        }
        return members;
    }

    /** An MXBean's map attribute arrives as a table of (key, value) rows. */
    private static Object plain(Object v) {
        if (v instanceof TabularData t) {
            Map<String, Object> m = new TreeMap<>();
            for (Object row : t.values()) {
                CompositeData c = (CompositeData) row;
                m.put(String.valueOf(c.get("key")), c.get("value"));
            }
            return m;
        }
        if (v instanceof String[] a) {
            return List.of(a);
        }
        return v;
    }

    /** The attach API in a class of its own, so that a JRE without it fails only when it is used. */
    private static final class Attach {
        static String localManagementAgent(long pid) throws IOException {
            try {
                com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(Long.toString(pid));
                try {
                    return vm.startLocalManagementAgent();
                } finally {
                    vm.detach();
                }
            } catch (com.sun.tools.attach.AttachNotSupportedException e) {
                throw new IOException("cannot attach to process " + pid + " (" + e.getMessage() + "): is it a Java "
                        + "process of this user on this host? Or give its JMX service URL (--jmx)", e);
            }
        }
    }
}
