/**
 * SessionGrid's container-neutral core. A container adapter uses its API: {@code grid} (a member of
 * the grid, {@link org.sessiongrid.grid.SessionGrid}, and the sessions of one webapp,
 * {@link org.sessiongrid.grid.SessionStore}), {@code session} (the records and deltas the store takes
 * and returns), {@code codec} (attribute values to bytes and back, under a deserialization policy)
 * {@code metrics} (the statistics and the MXBean a container shows) and {@code settings} (the
 * settings as a container receives them, resolved by one set of rules for every container).
 *
 * <p>Everything else is the engine, which the module does not export: placement, topology,
 * replication, expiry, the record store, the wire format and the transport. They change without
 * notice; an adapter that needs something of them asks for it through the API.
 *
 * <p>JGroups ships no module descriptor: it is required as the automatic module its manifest names.
 */
@SuppressWarnings("requires-automatic")
module org.sessiongrid.core {
    requires transitive java.management;
    requires org.jgroups;
    requires org.slf4j;
    requires sessiongrid.jgroups.config;

    exports org.sessiongrid.grid;
    exports org.sessiongrid.session;
    exports org.sessiongrid.codec;
    exports org.sessiongrid.metrics;
    exports org.sessiongrid.settings;
}
