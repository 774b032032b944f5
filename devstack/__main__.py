from devstack.launcher import main

main()
