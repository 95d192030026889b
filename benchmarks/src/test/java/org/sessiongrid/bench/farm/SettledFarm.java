package org.sessiongrid.bench.farm;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Waits, by the nodes' status pages, until a SessionGrid farm runs one settled topology. */
public final class SettledFarm {

    private SettledFarm() {
    }

    /**
     * Waits until every one of {@code nodes} sees {@code members} members, runs one topology newer than
     * {@code newerThan}, and no rebalance runs.
     *
     * @throws IllegalStateException naming the first node that was not there yet, after {@code timeoutMillis}
     */
    public static void await(List<LoopbackFarm.Node> nodes, int members, long newerThan, long timeoutMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        String why = "";
        while (System.nanoTime() - deadline < 0) {
            why = null;
            Long topology = null;
            for (LoopbackFarm.Node node : nodes) {
                Map<String, String> s = Http.status(node.statusUrl(false));
                long t = Long.parseLong(s.getOrDefault("TopologyId", "0"));
                int seen = s.getOrDefault("Members", "").isEmpty() ? 0 : s.get("Members").split(",").length;
                if (seen != members || !"false".equals(s.get("RebalanceInProgress")) || t <= newerThan
                        || (topology != null && topology != t)) {
                    why = node.name() + ": members " + seen + ", rebalancing " + s.get("RebalanceInProgress")
                            + ", topology " + t;
                    break;
                }
                topology = t;
            }
            if (why == null) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the " + members + "-member topology did not settle within " + timeoutMillis
                + " ms: " + why);
    }
}
