package org.sessiongrid.boot;

import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.server.Server;
import org.sessiongrid.boot.jetty.SessionGridJettyCustomizer;
import org.sessiongrid.boot.tomcat.SessionGridTomcatCustomizer;
import org.sessiongrid.grid.GridConfig;
import org.sessiongrid.jetty.store.SessionGridDataStoreFactory;
import org.sessiongrid.tomcat.SessionGridManager;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jetty.ConfigurableJettyWebServerFactory;
import org.springframework.boot.tomcat.ConfigurableTomcatWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Keeps the sessions of a Spring Boot application's embedded Tomcat or Jetty in SessionGrid: with
 * the starter on the class path and {@code sessiongrid.cluster-name} set, every session lives on a
 * primary and two backups of the farm. {@code sessiongrid.enabled=false} turns it off (the container
 * keeps its own manager).
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "sessiongrid", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(SessionGridProperties.class)
public class SessionGridAutoConfiguration {

    /**
     * The cluster name must be set somewhere: a farm whose nodes silently kept local sessions would
     * lose them at the first failover.
     */
    static void requireClusterName(SessionGridProperties properties) {
        if (properties.settings().get("clusterName") == null
                && System.getProperty(GridConfig.PREFIX + "clusterName", "").isBlank()) {
            throw new IllegalStateException("SessionGrid needs a cluster name: set sessiongrid.cluster-name in"
                    + " application.properties (every node of one farm uses the same), or turn SessionGrid off with"
                    + " sessiongrid.enabled=false");
        }
    }

    /**
     * An embedded Jetty: SessionGrid's store, session cache, id manager and request handler. Not with
     * Tomcat on the class path, where Boot starts Tomcat.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ Server.class, ConfigurableJettyWebServerFactory.class, SessionGridDataStoreFactory.class })
    @ConditionalOnMissingClass("org.apache.catalina.startup.Tomcat")
    static class EmbeddedJetty {

        @Bean
        @ConditionalOnMissingBean
        SessionGridJettyCustomizer sessionGridJettyCustomizer(SessionGridProperties properties) {
            requireClusterName(properties);
            return new SessionGridJettyCustomizer(properties.settings());
        }

        @Bean
        WebServerFactoryCustomizer<ConfigurableJettyWebServerFactory> sessionGridJettyFactoryCustomizer(
                SessionGridJettyCustomizer customizer) {
            return factory -> factory.addServerCustomizers(customizer);
        }
    }

    /** An embedded Tomcat: SessionGrid's manager on its context. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ Tomcat.class, ConfigurableTomcatWebServerFactory.class, SessionGridManager.class })
    static class EmbeddedTomcat {

        @Bean
        @ConditionalOnMissingBean
        SessionGridTomcatCustomizer sessionGridTomcatCustomizer(SessionGridProperties properties) {
            requireClusterName(properties);
            return new SessionGridTomcatCustomizer(properties.settings());
        }

        @Bean
        WebServerFactoryCustomizer<ConfigurableTomcatWebServerFactory> sessionGridTomcatFactoryCustomizer(
                SessionGridTomcatCustomizer customizer) {
            return factory -> factory.addContextCustomizers(customizer);
        }
    }
}
