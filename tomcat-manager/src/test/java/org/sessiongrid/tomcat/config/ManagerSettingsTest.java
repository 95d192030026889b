package org.sessiongrid.tomcat.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sessiongrid.grid.ReplicationMode;

class ManagerSettingsTest {

    private static ManagerSettings settings(String... nameValue) {
        ManagerSettings s = new ManagerSettings();
        s.set("clusterName", "shop");
        for (int i = 0; i < nameValue.length; i += 2) {
            s.set(nameValue[i], nameValue[i + 1]);
        }
        return s;
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "replicationMode|fast|sync",
            "numOwners|three|whole number",
            "numOwners|0|1 to 8",
            "lockingMode|sometimes|none, all or uriPattern:REGEX",
            "lockingMode|uriPattern:([a|does not compile",
            "lockTimeout|-5|positive number of milliseconds",
            "failureDetectionTimeout|soon|whole number",
            "partitionPolicy|majority|serve-both-sides or minority-refuses-writes",
            "deserializationFilter|com.acme.*;!|deserializationFilter"})
    void aWrongValueIsReportedWithNameValueAndAcceptedValues(String name, String value, String accepted) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings(name, value).resolve(null, Map.of()));
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertTrue(e.getMessage().contains(value), e.getMessage());
        assertTrue(e.getMessage().contains(accepted), e.getMessage());
    }

    @Test
    void anUnknownAttributeIsReportedWithTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings("numOwner", "2").resolve(null, Map.of()));
        assertTrue(e.getMessage().contains("'numOwner'") && e.getMessage().contains("numOwners"), e.getMessage());
    }

    @Test
    void clusterNameIsRequired() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ManagerSettings().resolve(null, Map.of()));
        assertTrue(e.getMessage().contains("clusterName"), e.getMessage());
    }

    @Test
    void systemPropertiesAreTheFallbackAndAttributesWin() {
        ManagerSettings s = new ManagerSettings();
        s.set("numOwners", "2");
        ManagerSettings.Resolved r = s.resolve(null, Map.of("sessiongrid.clusterName", "fromSys",
                "sessiongrid.numOwners", "5", "sessiongrid.replicationMode", "async",
                "sessiongrid.lockingMode", "all", "sessiongrid.lockTimeout", "1234",
                "sessiongrid.bindPort", "7800"));
        assertEquals("fromSys", r.grid().clusterName());
        assertEquals(2, r.grid().numOwners());
        assertEquals(ReplicationMode.ASYNC, r.grid().replicationMode());
        assertEquals("all", r.lockingMode().toString());
        assertEquals(1234, r.lockTimeout());
        assertEquals("7800", r.grid().stackProperties().getProperty("sessiongrid.bindPort"));
        // Adapter settings are not passed to the JGroups stack.
        assertEquals(null, r.grid().stackProperties().getProperty("sessiongrid.lockingMode"));
    }

    @Test
    void stackPropertiesCanBeAttributes() {
        ManagerSettings.Resolved r = settings("sessiongrid.initialHosts", "a[7800],b[7800]").resolve(null, Map.of());
        assertEquals("a[7800],b[7800]", r.grid().stackProperties().getProperty("sessiongrid.initialHosts"));
    }

    @Test
    void theMemberIsNamedAfterTheJvmRoute() {
        assertEquals("n7", settings().resolve("n7", Map.of()).grid().nodeName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> settings("nodeName", "other").resolve("n7", Map.of()));
        assertTrue(e.getMessage().contains("nodeName=\"other\"") && e.getMessage().contains("jvmRoute"), e.getMessage());
    }

    @Test
    void defaultsAreNoLockingAndTenSecondLockTimeout() {
        ManagerSettings.Resolved r = settings().resolve(null, Map.of());
        assertTrue(r.lockingMode().isNone());
        assertEquals(ManagerSettings.DEFAULT_LOCK_TIMEOUT, r.lockTimeout());
    }
}
