package org.sessiongrid.jgroups;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jgroups.Address;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs {@link SEAL}'s drops: the first of each reason at once, then at most one line a minute per
 * reason with the number dropped meanwhile, so that a host sending all day without the secret (or a
 * second farm on the same multicast group) leaves a readable log.
 */
final class SealDropLog {

    private static final Logger LOG = LoggerFactory.getLogger(SEAL.class);
    private static final long INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Map<String, AtomicLong> pending = new ConcurrentHashMap<>();
    private final Map<String, Long> lastLine = new ConcurrentHashMap<>();
    private volatile long lastSkewLine;

    void dropped(String reason, Address from) {
        AtomicLong count = pending.computeIfAbsent(reason, r -> new AtomicLong());
        count.incrementAndGet();
        long now = System.nanoTime();
        Long last = lastLine.get(reason);
        if (last != null && now - last < INTERVAL_NANOS) {
            return;
        }
        if (last == null ? lastLine.putIfAbsent(reason, now) != null : !lastLine.replace(reason, last, now)) {
            return;
        }
        long n = count.getAndSet(0);
        LOG.warn("Dropped {} message{} ({}), the last from {}: {}", n, n == 1 ? "" : "s", reason,
                from == null ? "an unknown sender" : from, explain(reason));
    }

    void skew(Address from, long millis) {
        long now = System.nanoTime();
        if (now - lastSkewLine < INTERVAL_NANOS && lastSkewLine != 0) {
            return;
        }
        lastSkewLine = now;
        LOG.warn("{}'s clock is {} ms {} this member's: members' clocks must agree within {} ms (run NTP on every host)",
                from == null ? "A member" : from, Math.abs(millis), millis > 0 ? "behind" : "ahead of", SEAL.MAX_AGE_MILLIS);
    }

    private static String explain(String reason) {
        return switch (reason) {
            case "unsealed" -> "a host without the cluster secret is sending to this member"
                    + " (set the same clusterSecret or clusterSecretFile on every member)";
            case "other-secret" -> "a host sealed them with a secret this member does not hold"
                    + " (clusterSecret or clusterSecretFile differs between members)";
            case "forged" -> "they failed authentication: altered on the way, or forged";
            case "replayed" -> "they were accepted once already: a copy sent again";
            case "stale" -> "they were sealed too long ago or by a clock that is off";
            case "misdirected" -> "they were sealed for another member or an earlier incarnation of this one";
            case "spoofed" -> "the sender the transport named is not the one they were sealed by";
            default -> "authentic but unreadable: members run different JGroups versions";
        };
    }
}
