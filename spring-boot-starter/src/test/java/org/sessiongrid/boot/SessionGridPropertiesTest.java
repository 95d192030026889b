package org.sessiongrid.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.sessiongrid.grid.GridConfig;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The Boot properties are the settings under their one name: {@code sessiongrid.<kebab-case name>}
 * reaches the adapter as {@code <name>}, for every grid setting of core ({@link GridConfig#SETTINGS}),
 * the adapter settings and the documented stack properties. A setting added to core without its
 * property here fails this test.
 */
class SessionGridPropertiesTest {

    private static final List<String> ADAPTER = List.of("lockingMode", "lockTimeout", "copyIdleTimeout");
    private static final List<String> STACK = List.of("bindAddress", "bindPort", "portRange", "initialHosts",
            "mcastAddress", "mcastPort", "ipTtl", "dnsQuery", "dnsRecordType", "fdSockOffset",
            "failureDetectionInterval", "mergeMinInterval", "mergeMaxInterval", "verifySuspectTimeout",
            "tls.keystorePath", "tls.keystorePassword", "tls.keystoreType", "tls.keystoreAlias",
            "tls.truststorePath", "tls.truststorePassword", "tls.truststoreType");

    @Test
    void everySettingIsAPropertyOfTheSameName() {
        Map<String, String> source = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (String name : GridConfig.SETTINGS) {
            source.put("sessiongrid." + kebab(name), "v-" + name);
            expected.put(name, "v-" + name);
        }
        for (String name : ADAPTER) {
            source.put("sessiongrid." + kebab(name), "v-" + name);
            expected.put(name, "v-" + name);
        }
        for (String name : STACK) {
            source.put("sessiongrid." + kebab(name), "v-" + name);
            expected.put(GridConfig.PREFIX + name, "v-" + name);
        }
        SessionGridProperties p = bind(source);
        assertEquals(expected, p.settings());
    }

    @Test
    void unsetAndBlankPropertiesAreLeftToTheSystemPropertyAndTheDefault() {
        SessionGridProperties p = bind(Map.of("sessiongrid.cluster-name", " shop ", "sessiongrid.stack", " "));
        assertEquals(Map.of("clusterName", "shop"), p.settings());
        assertEquals(true, p.isEnabled());
        assertEquals(false, bind(Map.of("sessiongrid.enabled", "false")).isEnabled());
    }

    private static SessionGridProperties bind(Map<String, String> source) {
        return new Binder(new MapConfigurationPropertySource(source))
                .bindOrCreate("sessiongrid", Bindable.of(SessionGridProperties.class));
    }

    /** {@code clusterName} as Boot users write it, {@code cluster-name}; dots stay. */
    private static String kebab(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
