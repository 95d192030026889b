package org.sessiongrid.boot;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * IDEs complete the {@code sessiongrid.*} properties from the metadata the configuration processor
 * writes into the jar: every property of {@link SessionGridProperties} is there with a description, and
 * the settings with a fixed set of values offer them.
 */
class ConfigurationMetadataTest {

    private static final Pattern PROPERTY = Pattern.compile(
            "\\{\\s*\"name\"\\s*:\\s*\"(sessiongrid\\.[^\"]+)\"[^{}]*?\"description\"\\s*:\\s*\"([^\"]+)\"", Pattern.DOTALL);

    @Test
    void everyPropertyHasADescriptionAndTheEnumeratedOnesTheirValues() throws IOException {
        String json = read("META-INF/spring-configuration-metadata.json");
        List<String> described = new ArrayList<>();
        Matcher m = PROPERTY.matcher(json);
        while (m.find()) {
            described.add(m.group(1));
        }
        for (String name : List.of("sessiongrid.enabled", "sessiongrid.cluster-name", "sessiongrid.cluster-secret-file",
                "sessiongrid.failure-detection-timeout", "sessiongrid.locking-mode", "sessiongrid.initial-hosts",
                "sessiongrid.bind-port", "sessiongrid.tls.keystore-path")) {
            assertTrue(described.contains(name), name + " with a description in " + described);
        }
        assertTrue(described.size() >= 47, described.size() + " properties described: " + described);
        for (String hint : List.of("sessiongrid.stack", "sessiongrid.replication-mode", "sessiongrid.partition-policy",
                "sessiongrid.security", "sessiongrid.locking-mode")) {
            assertTrue(Pattern.compile("\"name\"\\s*:\\s*\"" + Pattern.quote(hint) + "\"\\s*,\\s*\"values\"").matcher(json).find(),
                    hint + " offers its values");
        }
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = ConfigurationMetadataTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, resource + " on the class path (written by spring-boot-configuration-processor)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
