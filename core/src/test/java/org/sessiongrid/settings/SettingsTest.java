package org.sessiongrid.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sessiongrid.grid.ReplicationMode;
import org.sessiongrid.grid.RequestLocking;

/** The rules both adapters resolve their settings by (the Tomcat manager and the Jetty store). */
class SettingsTest {

    private static final String HOW = "%1$s=\"...\" on the <Manager> element";

    private static Settings settings(String... nameValue) {
        Settings s = new Settings(HOW);
        s.set("clusterName", "shop");
        for (int i = 0; i < nameValue.length; i += 2) {
            s.set(nameValue[i], nameValue[i + 1]);
        }
        return s;
    }

    private static ResolvedSettings resolve(Settings s) {
        return s.resolve(MemberName.none(), Map.of());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "replicationMode|fast|sync",
            "numOwners|three|whole number",
            "numOwners|0|1 to 8",
            "lockingMode|sometimes|none, all or uriPattern:REGEX",
            "lockingMode|uriPattern:([a|does not compile",
            "lockTimeout|-5|positive number of milliseconds",
            "copyIdleTimeout|-1|milliseconds, 0 or more",
            "copyIdleTimeout|1m|milliseconds, 0 or more",
            "failureDetectionTimeout|soon|whole number",
            "backupTimeout|10|at least 50 milliseconds",
            "backupTimeout|1s|whole number",
            "partitionPolicy|majority|serve-both-sides or minority-refuses-writes",
            "deserializationFilter|com.acme.*;!|deserializationFilter"})
    void aWrongValueIsReportedWithNameValueAndAcceptedValues(String name, String value, String accepted) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(settings(name, value)));
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
        assertTrue(e.getMessage().contains(accepted), e.getMessage());
    }

    @Test
    void anUnknownNameIsReportedWhenResolvedWithTheNearestKnownOneAndHowToSetIt() {
        Settings s = settings("numOwner", "2"); // recorded: a Tomcat attribute arrives while context.xml is parsed
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(s));
        assertTrue(e.getMessage().contains("'numOwner'"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean numOwners=\"...\" on the <Manager> element?"), e.getMessage());
        assertTrue(e.getMessage().contains("lockTimeout"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> resolve(settings("colour", "blue")));
        assertTrue(e.getMessage().contains("'colour': remove it"), e.getMessage());
    }

    @Test
    void clusterNameIsRequiredAndTheMessageSaysHowToSetIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> resolve(new Settings(HOW)));
        assertTrue(e.getMessage().contains("clusterName=\"...\" on the <Manager> element"), e.getMessage());
        assertTrue(e.getMessage().contains("system property sessiongrid.clusterName"), e.getMessage());
    }

    @Test
    void aSettingWinsOverTheSystemPropertyWhichWinsOverTheDefault() {
        Settings s = new Settings(HOW);
        s.set("numOwners", "2");
        ResolvedSettings r = s.resolve(MemberName.none(), Map.of("sessiongrid.clusterName", "fromSys",
                "sessiongrid.numOwners", "5", "sessiongrid.replicationMode", "async",
                "sessiongrid.lockingMode", "all", "sessiongrid.lockTimeout", "1234",
                "sessiongrid.copyIdleTimeout", "5000", "sessiongrid.bindPort", "7800"));
        assertEquals("fromSys", r.grid().clusterName());
        assertEquals(2, r.grid().numOwners());
        assertEquals(ReplicationMode.ASYNC, r.grid().replicationMode());
        assertEquals(1024, r.grid().numSegments());
        assertEquals("all", r.lockingMode().toString());
        assertEquals(1234, r.lockTimeout());
        assertEquals(5000, r.copyIdleTimeout());
        assertEquals("7800", r.grid().stackProperties().getProperty("sessiongrid.bindPort"));
        // Adapter settings are not passed to the JGroups stack.
        assertNull(r.grid().stackProperties().getProperty("sessiongrid.lockingMode"));
        assertNull(r.grid().stackProperties().getProperty("sessiongrid.lockTimeout"));
        assertNull(r.grid().stackProperties().getProperty("sessiongrid.copyIdleTimeout"));
    }

    @Test
    void valuesAreTrimmedFromEverySourceAndABlankOneIsNotSet() {
        Settings s = settings("numOwners", " 2 ", "stack", "\ttcp\n", "nodeName", "  ", "lockingMode", " all ",
                "sessiongrid.initialHosts", " a[7800] ");
        assertEquals("tcp", s.get("stack"));
        assertNull(s.get("nodeName"));
        ResolvedSettings r = s.resolve(MemberName.none(), Map.of("sessiongrid.nodeName", " fromSys ",
                "sessiongrid.lockTimeout", " 99 ", "sessiongrid.site", " ", "sessiongrid.bindPort", " 7900 "));
        assertEquals(2, r.grid().numOwners());
        assertEquals("tcp", r.grid().stack());
        // The blank setting did not hide the system property; the blank system property is not set.
        assertEquals("fromSys", r.grid().nodeName());
        assertNull(r.grid().site());
        assertEquals("all", r.lockingMode().toString());
        assertEquals(99, r.lockTimeout());
        assertEquals("a[7800]", r.grid().stackProperties().getProperty("sessiongrid.initialHosts"));
        assertEquals("7900", r.grid().stackProperties().getProperty("sessiongrid.bindPort"));
    }

    @Test
    void aNullValueRemovesASetting() {
        Settings s = settings("numOwners", "2");
        s.set("numOwners", null);
        assertNull(s.get("numOwners"));
        assertEquals(3, resolve(s).grid().numOwners());
    }

    @Test
    void stackPropertiesCanBeSettings() {
        ResolvedSettings r = resolve(settings("sessiongrid.initialHosts", "a[7800],b[7800]"));
        assertEquals("a[7800],b[7800]", r.grid().stackProperties().getProperty("sessiongrid.initialHosts"));
    }

    @Test
    void aBindingContainerNameIsTheMemberNameAndNodeNameMustEqualIt() {
        MemberName route = MemberName.required("n7", "the Engine's jvmRoute");
        assertEquals("n7", settings().resolve(route, Map.of()).grid().nodeName());
        assertEquals("n7", settings("nodeName", " n7 ").resolve(route, Map.of()).grid().nodeName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings("nodeName", "other").resolve(route, Map.of()));
        assertTrue(e.getMessage().contains("nodeName=\"other\"") && e.getMessage().contains("the Engine's jvmRoute (\"n7\")")
                && e.getMessage().contains("remove nodeName or set it to \"n7\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> settings().resolve(route, Map.of("sessiongrid.nodeName", "other")));
        assertTrue(e.getMessage().contains("nodeName=\"other\""), e.getMessage());
        assertEquals(MemberName.none(), MemberName.required(" ", "the Engine's jvmRoute"));
    }

    @Test
    void aFallbackContainerNameIsUsedOnlyWhenNodeNameIsNotSet() {
        MemberName worker = MemberName.fallback("worker1", "the session worker name");
        assertEquals("worker1", settings().resolve(worker, Map.of()).grid().nodeName());
        assertEquals("mine", settings("nodeName", "mine").resolve(worker, Map.of()).grid().nodeName());
        assertEquals("sys", settings().resolve(worker, Map.of("sessiongrid.nodeName", "sys")).grid().nodeName());
    }

    @Test
    void backupTimeoutDefaultsToOneSecondAndComesFromTheSettingOrTheSystemProperty() {
        assertEquals(1_000, resolve(settings()).grid().backupTimeout());
        assertEquals(400, settings().resolve(MemberName.none(), Map.of("sessiongrid.backupTimeout", "400")).grid()
                .backupTimeout());
        assertEquals(250, settings("backupTimeout", " 250 ").resolve(MemberName.none(),
                Map.of("sessiongrid.backupTimeout", "400")).grid().backupTimeout());
    }

    @Test
    void defaultsAreNoLockingTenSecondLockTimeoutAndOneMinuteCopyIdleTimeout() {
        ResolvedSettings r = resolve(settings());
        assertTrue(r.lockingMode().isNone());
        assertEquals(RequestLocking.DEFAULT_LOCK_TIMEOUT, r.lockTimeout());
        assertEquals(60_000, r.copyIdleTimeout());
        assertEquals(0, resolve(settings("copyIdleTimeout", "0")).copyIdleTimeout());
    }
}
