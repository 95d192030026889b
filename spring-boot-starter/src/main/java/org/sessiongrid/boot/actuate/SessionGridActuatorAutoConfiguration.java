package org.sessiongrid.boot.actuate;

import io.micrometer.core.instrument.binder.MeterBinder;
import org.sessiongrid.boot.SessionGridAutoConfiguration;
import org.sessiongrid.boot.SessionGridHandle;
import org.sessiongrid.boot.SessionGridProperties;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The actuator's view of the grid member, each part when its library is on the class path: the
 * {@code sessiongrid} health indicator ({@code management.health.sessiongrid.enabled}), the
 * {@code sessiongrid} info entry and the {@code sessiongrid.*} Micrometer meters.
 */
@AutoConfiguration(after = SessionGridAutoConfiguration.class)
@ConditionalOnBean(SessionGridHandle.class)
public class SessionGridActuatorAutoConfiguration {

    /** {@code /actuator/health}'s {@code sessiongrid} component. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ HealthIndicator.class, ConditionalOnEnabledHealthIndicator.class })
    @ConditionalOnEnabledHealthIndicator("sessiongrid")
    static class Health {

        @Bean
        @ConditionalOnMissingBean(name = "sessiongridHealthIndicator")
        SessionGridHealthIndicator sessiongridHealthIndicator(SessionGridHandle handle) {
            return new SessionGridHealthIndicator(handle);
        }
    }

    /** {@code /actuator/info}'s {@code sessiongrid} entry. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(InfoContributor.class)
    static class Info {

        @Bean
        @ConditionalOnMissingBean
        SessionGridInfoContributor sessionGridInfoContributor(SessionGridHandle handle) {
            return new SessionGridInfoContributor(handle);
        }
    }

    /** The {@code sessiongrid.*} meters. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Meters {

        @Bean
        @ConditionalOnMissingBean
        SessionGridMeters sessionGridMeters(SessionGridHandle handle, SessionGridProperties properties) {
            return new SessionGridMeters(handle, properties.getClusterName());
        }
    }
}
