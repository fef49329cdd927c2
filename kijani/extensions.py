"""Flask extensions, created unbound and initialised in create_app()."""

from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from kijani.common.models import Base

# Objects stay readable after commit without a reload per attribute: a request serialises
# what it just wrote. Code that needs fresh state after a lock asks for it (populate_existing).
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
jwt = JWTManager()
api = Api()
cors = CORS()
limiter = Limiter(key_func=get_remote_address)
