package org.sessiongrid.grid;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

import org.sessiongrid.placement.Member;
import org.sessiongrid.store.RecordStore;
import org.sessiongrid.topology.InstalledTopology;
import org.sessiongrid.topology.Phase;
import org.sessiongrid.topology.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs topologies on this member, and forgets them for a rejoin (setting its records aside). An install is one step with what
 * follows from it: the parts that note the new topology (expiry's new primaries, the copy holders a
 * primary forgets), the drop of segments this member no longer keeps, the start of a rebalance's pull.
 *
 * <p>Topologies come from four threads (a joining thread, the coordinator's own, a transport handler
 * with a coordinator's update, a catch-up), so every install and its follow-up run under this installer's
 * lock, in topology order: a late follow-up of an older topology would otherwise drop a segment that a
 * newer one, already installed, gives back to this member, with the writes made under it. The lock is
 * not a thread of its own because callers need the install done before they answer (the coordinator
 * counts a member's answer as installed).
 */
final class TopologyInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(TopologyInstaller.class);

    private final InstalledTopology installed;
    private final RecordStore records;
    private final Supplier<Member> self;
    private final BiConsumer<Topology, Topology> noteInstalled;
    private final BiConsumer<Topology, Member> pull;
    /** Held for an install and its follow-up, and for {@link #forgetAll}. */
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * @param noteInstalled told (previous, installed) of every install, before segments are dropped
     * @param pull          starts pulling what this member gains in a rebalance topology, to be confirmed to
     *                      the member that decided it (must not block)
     */
    TopologyInstaller(InstalledTopology installed, RecordStore records, Supplier<Member> self,
                      BiConsumer<Topology, Topology> noteInstalled, BiConsumer<Topology, Member> pull) {
        this.installed = installed;
        this.records = records;
        this.self = self;
        this.noteInstalled = noteInstalled;
        this.pull = pull;
    }

    /**
     * Installs {@code t}, decided by {@code decidedBy}, if it is newer than the installed topology; returns
     * whether it did.
     */
    boolean install(Topology t, Member decidedBy) {
        if (t == null) {
            return false;
        }
        lock.lock();
        try {
            Topology previous = installed.get();
            if (!installed.install(t)) {
                return false;
            }
            noteInstalled.accept(previous, t);
            Member me = self.get();
            LOG.debug("{} installed topology {} ({})", me, t.id(), t.phase());
            if (t.phase() == Phase.NONE) {
                int dropped = 0;
                for (int s = 0; s < t.numSegments(); s++) {
                    if (!t.keeps(me, s) && records.size(s) > 0) {
                        dropped += records.dropSegment(s);
                    }
                }
                if (dropped > 0) {
                    LOG.debug("{} dropped {} records of segments it no longer owns", me, dropped);
                }
            } else if (t.phase() == Phase.READ_OLD_WRITE_ALL && t.members().contains(me)) {
                pull.accept(t, decidedBy);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Forgets the installed topology and moves every record aside ({@link RecordStore#kept()}), for a member that must
     * rejoin without data it serves: the kept copies are only offered to the sources of its pulls, which say
     * which are still current. Changes in progress under the forgotten topology end first, as an install waits
     * for them: one landing after the move would leave a possibly stale copy behind, served.
     *
     * @param awaySinceNanos when the absence that cost this member its place began
     * @return the number of records set aside
     */
    int forgetAll(long awaySinceNanos) {
        lock.lock();
        try {
            installed.clear();
            // Changes that entered before the clear store their record before the move; later ones are
            // refused, as no topology is installed.
            installed.awaitChangesInProgress();
            return records.setAside(awaySinceNanos);
        } finally {
            lock.unlock();
        }
    }
}
