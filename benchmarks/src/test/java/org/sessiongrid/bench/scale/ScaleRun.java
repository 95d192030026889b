package org.sessiongrid.bench.scale;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.sessiongrid.grid.SessionStore;
import org.sessiongrid.placement.Member;
import org.sessiongrid.placement.OwnerTable;
import org.sessiongrid.placement.Placement;
import org.sessiongrid.session.SessionDelta;
import org.sessiongrid.session.SessionRecord;
import org.sessiongrid.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SessionGrid alone, all members in one JVM over the {@code test-loopback} stack, for each member count: messages
 * and bytes per write (3 copies whatever the size, so these must stay flat), the coordinator's placement time for a
 * join and the data a join moves against its minimum. Runs in a child JVM started by {@link ScaleLauncher}
 * ({@link #main}), which prints one {@code SCALE|...} line per member count.
 */
public final class ScaleRun {

    private static final Logger LOG = LoggerFactory.getLogger(ScaleRun.class);
    private static final int SEGMENTS = 1024;
    private static final int OWNERS = 3;

    private final List<Integer> sizes;
    private final int scaleWrites;

    ScaleRun(List<Integer> sizes, int writes) {
        this.sizes = sizes;
        this.scaleWrites = writes;
    }

    /** Arguments: the member counts (comma separated) and the writes per count. */
    public static void main(String[] args) {
        List<Integer> sizes = Arrays.stream(args[0].split(",")).map(Integer::valueOf).toList();
        for (ScaleFigures f : new ScaleRun(sizes, Integer.parseInt(args[1])).run()) {
            System.out.println(ScaleLauncher.encode(f));
            System.out.flush();
        }
        System.exit(0);
    }

    List<ScaleFigures> run() {
        List<ScaleFigures> out = new ArrayList<>();
        for (int m : sizes) {
            double placement = placementMicros(m);
            List<Member> members = members(m);
            OwnerTable before = Placement.create(members, SEGMENTS, OWNERS);
            List<Member> joined = new ArrayList<>(members);
            joined.add(new Member("m" + m, "m" + m));
            int moved = Placement.rebalance(before, joined, OWNERS).slotsAddedComparedTo(before);
            int minimum = (int) Math.ceil(SEGMENTS * OWNERS / (double) (m + 1));
            double[] perWrite = {-1, -1, -1};
            String note = "";
            try {
                perWrite = liveWrites(m);
                LOG.info("scale {} members: {} msgs/write, {} bytes/write, formed in {} ms", m, perWrite[0],
                        perWrite[1], (long) perWrite[2]);
            } catch (RuntimeException e) {
                LOG.warn("scale {} members: live cluster failed", m, e);
                note = "live cluster: " + e.getMessage();
            }
            out.add(new ScaleFigures(m, perWrite[0], perWrite[1], placement, moved, minimum, (long) perWrite[2], note));
        }
        return out;
    }

    private static List<Member> members(int m) {
        List<Member> list = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            list.add(new Member("m" + i, "m" + i));
        }
        return list;
    }

    /** Median over repetitions of the owner-table computation when member m+1 joins m members. */
    static double placementMicros(int m) {
        List<Member> members = members(m);
        OwnerTable table = Placement.create(members, SEGMENTS, OWNERS);
        List<Member> joined = new ArrayList<>(members);
        joined.add(new Member("m" + m, "m" + m));
        int reps = 21;
        long[] t = new long[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            Placement.rebalance(table, joined, OWNERS);
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        return t[reps / 2] / 1000.0;
    }

    /** {messages per write, bytes per write, start millis} on a live cluster of m members. */
    private double[] liveWrites(int m) {
        String cluster = "sg-scale-" + ProcessHandle.current().pid() + "-" + m;
        List<SessionGrid> grids = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < m; i++) {
                grids.add(SessionGrid.start(GridConfig.builder(cluster).stack("test-loopback").nodeName("m" + i).build()));
            }
            awaitStable(grids, TimeUnit.MINUTES.toMillis(3));
            long startMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            SessionStore store = grids.get(0).store("localhost/scale");
            int sessions = 64;
            String[] ids = new String[sessions];
            SessionRecord[] copies = new SessionRecord[sessions];
            byte[] value = new byte[1024];
            for (int i = 0; i < sessions; i++) {
                ids[i] = store.newLocalId(() -> UUID.randomUUID().toString());
                copies[i] = store.create(ids[i], SessionDelta.builder().maxInactiveInterval(1800).set("payload", value)
                        .build());
            }
            // Idle traffic (heartbeats are multicasts, but acks and stability are not) over as long as the writes
            // take, subtracted below.
            LoopbackStats.enable(cluster);
            int writes = scaleWrites;
            long w0 = System.nanoTime();
            LoopbackStats.Sent s0 = LoopbackStats.unicastsSent(cluster);
            for (int i = 0; i < writes; i++) {
                int k = i % sessions;
                copies[k] = store.commit(ids[k], SessionDelta.builder().set("payload", value).build(), copies[k]);
            }
            LoopbackStats.Sent s1 = LoopbackStats.unicastsSent(cluster);
            long elapsed = System.nanoTime() - w0;
            long i0 = System.nanoTime();
            while (System.nanoTime() - i0 < elapsed) {
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(elapsed) / 10));
            }
            LoopbackStats.Sent s2 = LoopbackStats.unicastsSent(cluster);
            double idleMsgs = (s2.messages() - s1.messages()) * (double) elapsed / Math.max(1, System.nanoTime() - i0);
            double idleBytes = (s2.bytes() - s1.bytes()) * (double) elapsed / Math.max(1, System.nanoTime() - i0);
            LoopbackStats.Sent d = s1.minus(s0);
            return new double[] {Math.max(0, d.messages() - idleMsgs) / writes, Math.max(0, d.bytes() - idleBytes) / writes,
                    startMillis};
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            grids.forEach(SessionGrid::halt);
        }
    }

    private static void awaitStable(List<SessionGrid> members, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!stable(members)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(members.size() + " members did not settle within " + timeoutMillis + " ms");
            }
            Thread.sleep(20);
        }
    }

    private static boolean stable(List<SessionGrid> members) {
        Topology t = members.get(0).topology();
        if (t == null || t.isRebalancing() || t.current().members().size() != members.size()) {
            return false;
        }
        for (SessionGrid g : members) {
            if (g.topology() == null || g.topology().id() != t.id()) {
                return false;
            }
        }
        return Placement.rebalance(t.current(), t.current().members(), t.numOwners()).equals(t.current());
    }
}
