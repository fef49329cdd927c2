"""Small pieces truly shared by the domains: model base, pagination, auth helpers."""
