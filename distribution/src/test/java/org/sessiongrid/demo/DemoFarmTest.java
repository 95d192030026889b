package org.sessiongrid.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.sessiongrid.cli.JmxStatus;

/**
 * The README's run command, as a user meets it: three nodes behind the balancer (Tomcat, and Jetty with
 * {@code -Ddemo.args=--jetty}), users with cookies, the node serving them killed with kill -9, their
 * counters carrying on, and nothing left running after the stop.
 */
class DemoFarmTest {

    @Test
    @Timeout(240)
    void countersSurviveKillOfTheServingNodeAndStopLeavesNoProcess() throws Exception {
        killServingNodeThenStop("demo-farm-test", "tomcat");
    }

    @Test
    @Timeout(240)
    void jettyNodesCountersSurviveKillOfTheServingNodeAndStopLeavesNoProcess() throws Exception {
        killServingNodeThenStop("demo-farm-jetty-test", "jetty", "--jetty");
    }

    private static void killServingNodeThenStop(String name, String container, String... options) throws Exception {
        List<ProcessHandle> processes;
        try (DemoProcess demo = DemoProcess.start(name, options)) {
            Map<String, Object> status = demo.status();
            assertEquals(container, status.get("container"), "the nodes' container: " + status);
            assertEquals(3, ((List<?>) status.get("nodes")).size(), "three nodes: " + status);
            processes = demo.processes();
            assertEquals(4, processes.size(), "launcher + 3 node JVMs: " + processes);
            // The sample page and the grid figures of the webapp, through the balancer.
            assertTrue(demo.get("/app/").contains("<title>SessionGrid sample</title>"), "the sample page");
            assertTrue(demo.get("/app/api/grid").contains("\"TopologyId\""), "the webapp's grid figures");
            // Any node's figures without the sample webapp: its MXBeans, through the attach API.
            ProcessHandle node = processes.get(0); // a descendant of the launcher (the last): a node JVM
            List<JmxStatus.Member> gridMembers = JmxStatus.ofProcess(node.pid());
            assertEquals(1, gridMembers.size(), "grid gridMembers in node " + node.pid() + ": " + gridMembers);
            assertEquals(3, ((List<?>) gridMembers.get(0).figures().get("Members")).size(), "its view: " + gridMembers);
            assertTrue((Long) gridMembers.get(0).figures().get("TopologyId") > 0, "its topology: " + gridMembers);
            assertTrue(StatusCli.render(gridMembers).contains("member " + gridMembers.get(0).name()), StatusCli.render(gridMembers));

            List<DemoProcess.User> users = new ArrayList<>();
            List<String> servedBy = new ArrayList<>();
            for (int u = 0; u < 4; u++) {
                DemoProcess.User user = new DemoProcess.User("user" + u);
                for (int i = 1; i <= 3; i++) {
                    Map<String, Object> last = user.increment(demo);
                    assertEquals((long) i, last.get("counter"), user.name + " increment " + i + ": " + last);
                    if (i > 1) {
                        // Sticky: the balancer sends the request to the node the session cookie's route names.
                        assertEquals(servedBy.get(u), last.get("node"), user.name + " was not sent where its route points");
                    } else {
                        servedBy.add((String) last.get("node"));
                    }
                    // The node that served names itself in the cookie's route (Tomcat: the session's
                    // primary, which created it here; Jetty: its worker name).
                    assertEquals(last.get("node"), user.cookieRoute(), user.name + "'s cookie route after " + last);
                }
                users.add(user);
            }

            // The node user0 is stuck to dies.
            String victim = servedBy.get(0);
            Map<String, Object> killed = demo.control("kill?node=" + victim);
            long victimPid = (Long) killed.get("pid");
            assertTrue(ProcessHandle.of(victimPid).map(ProcessHandle::isAlive).orElse(false) == false,
                    "node " + victim + " (pid " + victimPid + ") still runs after kill -9");

            for (int u = 0; u < users.size(); u++) {
                Map<String, Object> after = users.get(u).increment(demo);
                // No reset and no step back: the 4th increment gives 4, wherever it is served.
                assertEquals(4L, after.get("counter"), users.get(u).name + " after killing " + victim + ": " + after);
                assertNotEquals(victim, after.get("node"));
                Map<String, Object> again = users.get(u).increment(demo);
                assertEquals(5L, again.get("counter"), users.get(u).name + ": " + again);
            }

            // The status shows the survivors as the members, and the grid settles to two copies each.
            DemoProcess.await(() -> "the status names the two survivors and the rebalance is done", 60, () -> {
                try {
                    Map<String, Object> s = demo.status();
                    List<?> members = (List<?>) s.get("members");
                    return members.size() == 2 && !members.contains(victim)
                            && Boolean.FALSE.equals(s.get("rebalanceInProgress"));
                } catch (Exception e) {
                    return false;
                }
            });

            assertTrue(demo.stop(30), "the launcher did not stop within 30 s of SIGTERM:\n" + demo.output());
            // The launcher's last words reach us through a pipe that may lag its exit a little.
            DemoProcess.await(() -> "the launcher reports the farm stopped:\n" + demo.output(), 5,
                    () -> demo.output().contains("demo farm stopped"));
        }
        for (ProcessHandle p : processes) {
            DemoProcess.await(() -> "process " + p.pid() + " of the demo is gone", 10, () -> !p.isAlive());
        }
    }
}
