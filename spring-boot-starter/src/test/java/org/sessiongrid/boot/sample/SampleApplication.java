package org.sessiongrid.boot.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The sample Boot application of the farm tests: Spring MVC on the embedded Tomcat, Spring Security's
 * form login (its defaults: the SecurityContext in the session, the session id changed at login, CSRF
 * tokens in the session), a counter every visitor may use and a page for logged-in users, and the
 * actuator. SessionGrid comes from the starter alone: its properties are the command line's.
 */
@SpringBootApplication
public class SampleApplication {

    /** Starts the application with Boot's command-line properties ({@code --sessiongrid.cluster-name=...}). */
    public static void main(String[] args) {
        SpringApplication.run(SampleApplication.class, args);
    }

    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
        http.authorizeHttpRequests(a -> a.requestMatchers("/counter", "/actuator/**", "/error").permitAll()
                .anyRequest().authenticated())
                .formLogin(Customizer.withDefaults());
        return http.build();
    }

    @Bean
    UserDetailsService users() {
        return new InMemoryUserDetailsManager(User.withUsername("alice").password("{noop}secret").roles("USER").build());
    }
}
