package org.sessiongrid.demo.webapp;

import java.lang.management.ManagementFactory;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/** Reads the Engine's jvmRoute over JMX: the sample webapp has no compile-time tie to Tomcat. */
final class ManagementHelper {

    private ManagementHelper() {
    }

    static String engineJvmRoute() {
        try {
            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            for (ObjectName n : mbs.queryNames(new ObjectName("*:type=Engine"), null)) {
                Object route = mbs.getAttribute(n, "jvmRoute");
                if (route != null) {
                    return route.toString();
                }
            }
        } catch (Exception | LinkageError e) {
            // not Tomcat, or no Engine MBean: the page shows "unknown"
        }
        return "unknown";
    }
}
