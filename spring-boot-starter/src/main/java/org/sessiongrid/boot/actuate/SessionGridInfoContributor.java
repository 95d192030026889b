package org.sessiongrid.boot.actuate;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.grid.SessionGrid;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;

/**
 * The {@code sessiongrid} entry of {@code /actuator/info}: the member's cluster, name and the
 * settings every member of a cluster must share (stack, numOwners, numSegments, replicationMode,
 * partitionPolicy) and whether its messages are sealed with a cluster secret (never the secret), so that
 * a misconfigured node shows at a glance.
 */
public final class SessionGridInfoContributor implements InfoContributor {

    private final SessionGridHandle handle;

    /** @param handle the grid member this application's sessions live on */
    public SessionGridInfoContributor(SessionGridHandle handle) {
        this.handle = handle;
    }

    @Override
    public void contribute(Info.Builder builder) {
        handle.grid().ifPresent(g -> builder.withDetail("sessiongrid", describe(g)));
    }

    private static Map<String, Object> describe(SessionGrid g) {
        GridConfig c = g.config();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("cluster", c.clusterName());
        d.put("member", g.memberName());
        d.put("stack", c.stack());
        d.put("numOwners", c.numOwners());
        d.put("numSegments", c.numSegments());
        d.put("replicationMode", c.replicationMode().name().toLowerCase(Locale.ROOT));
        d.put("partitionPolicy", c.partitionPolicy().settingValue());
        d.put("sealed", c.isSealed());
        d.put("security", c.security().name().toLowerCase(Locale.ROOT));
        return d;
    }
}
